# B614: torch.load without weights_only=True
import torch

model = torch.load("model.pt")  # expect: B614
model = torch.serialization.load(fh)  # expect: B614
model = torch.load("model.pt", weights_only=False)  # expect: B614
model = torch.load("model.pt", weights_only=True)
torch.save(model, "model.pt")
