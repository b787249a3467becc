# B107: string defaults of password-like parameters, reported at the def
def login(user, password="admin"):  # expect: B107
    pass


async def fetch(url, token="abc"):  # expect: B107
    pass


def login2(user, password=None):
    pass


def login3(user, *, password="kw-only"):
    pass


handler = lambda password="x": password
