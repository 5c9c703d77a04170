"""The model class: shipped to the customer as code; only its weights (the state_dict) are sealed."""
import torch
from torch import nn


class RiskNet(nn.Module):
    """A small classifier: 8 measurements in, 2 classes out."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def generate_data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two Gaussian classes whose means differ in every measurement (the vendor's 'private data')."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=generator)
    features = torch.randn(n, 8, generator=generator) + labels[:, None].float() * 1.5
    return features, labels
