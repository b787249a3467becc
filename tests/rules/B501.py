# B501: TLS certificate checks turned off
import requests
import httpx

requests.get(url, verify=False, timeout=5)  # expect: B501
requests.post(url, verify=False)  # expect: B501, B113
httpx.Client(verify=False)  # expect: B501
requests.get(url, verify=True, timeout=5)
requests.get(url, verify="/etc/ca.pem", timeout=5)
other.get(url, verify=False)
