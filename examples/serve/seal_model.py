"""Vendor side: make the example's weights (random init; train your own) and seal them.

    export MODEL_KEY=$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
    python seal_model.py model.mseal          # sealed to $MODEL_KEY
    python seal_model.py model.mseal --recipient modelseal1...   # or to a customer's public key
"""
import argparse

import torch

import modelseal
from model import Classifier

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("output")
parser.add_argument("--recipient", action="append", help="a customer's modelseal1... key (default: $MODEL_KEY)")
parser.add_argument("--seed", type=int, default=0)
arguments = parser.parse_args()

torch.manual_seed(arguments.seed)
modelseal.save(Classifier().state_dict(), arguments.output, recipients=arguments.recipient, overwrite=True)
print(f"sealed {arguments.output}")
