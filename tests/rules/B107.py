# B107: string defaults of password-like parameters, reported at the def
def login(user, password="admin"):  # expect: B107
    pass


async def fetch(url, token="abc"):  # expect: B107
    pass


def login2(user, password=None):
    pass


def login3(user, *, password="kw-only"):  # expect: B107
    pass


handler = lambda password="x": password


def login4(user, *args, token="abc", retries=3):  # expect: B107
    pass
