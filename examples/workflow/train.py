"""Vendor: train RiskNet on generated data and export the state_dict only (never the pickled module)."""
import sys

import torch

from model import RiskNet, generate_data


def main(output: str) -> None:
    torch.manual_seed(0)
    features, labels = generate_data(4000, seed=1)
    model = RiskNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(60):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(features), labels)
        loss.backward()
        optimizer.step()
    test_x, test_y = generate_data(1000, seed=2)
    accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
    torch.save(model.state_dict(), output)
    print(f"trained RiskNet: loss {loss.item():.3f}, held-out accuracy {accuracy:.3f}; state_dict -> {output}")


if __name__ == "__main__":
    main(sys.argv[1])
