# B615: Hugging Face downloads without a pinned revision
from transformers import AutoModel
from huggingface_hub import hf_hub_download
from datasets import load_dataset

AutoModel.from_pretrained("org/model")  # expect: B615
AutoModel.from_pretrained("org/model", revision="main")  # expect: B615
hf_hub_download(repo_id="org/model", filename="x.bin")  # expect: B615
load_dataset("org/data")  # expect: B615
AutoModel.from_pretrained("org/model", revision="5d0f2e8a7f1b")
AutoModel.from_pretrained("org/model", revision=pinned)
AutoModel.from_pretrained("./local/model")
hf_hub_download(repo_id="org/model", filename="x.bin", revision="0123456789abcdef0123456789abcdef01234567")
other.from_pretrained("org/model")
