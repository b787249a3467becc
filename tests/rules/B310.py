# B310: urlopen and friends, which also open file: and custom schemes
import urllib.request
from urllib.request import urlopen

urllib.request.urlopen(url)  # expect: B310
urlopen(url)  # expect: B310
urllib.request.urlretrieve(url, path)  # expect: B310
urllib.request.Request(url)
requests_like.urlopen(url)
try:
    from urllib.request import urlopen as fetch
except ImportError:
    from urllib2 import urlopen as fetch
fetch(url)  # expect: B310
