# B113: requests and httpx calls without a timeout, or with timeout=None
import requests
import httpx
from requests import post

requests.get(url)  # expect: B113
requests.post(url, data=body)  # expect: B113
post(url)  # expect: B113
requests.api.delete(url)  # expect: B113
requests.get(url, timeout=None)  # expect: B113
httpx.get(url, timeout=None)  # expect: B113
httpx.Client(timeout=None)  # expect: B113
requests.get(url, timeout=5)
requests.get(url, timeout=(3, 10))
httpx.get(url)
requests.Session()
session.get(url)
requests.request("GET", url)
