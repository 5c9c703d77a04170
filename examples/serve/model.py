"""The example's model: a small classifier of 4 measurements into 3 classes (iris-like).

Both sides need the class: the vendor to export its state_dict, the customer to build the module
the sealed weights are loaded into (the sealed file holds weights only, never code).
"""
import torch

LABELS = ["setosa", "versicolor", "virginica"]


class Classifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(4, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 3)
        )

    def forward(self, features):
        return self.layers(features)
