# B105: string literals assigned to, compared with, or keyed by password-like names
password = "hunter2"  # expect: B105
self.token = "abc"  # expect: B105
db_password = admin_pwd = "x"  # expect: B105
if password == "letmein":  # expect: B105
    pass
if "swordfish" == password:  # expect: B105
    pass
config = {"secret": "s3cr3t", "user": "app"}  # expect: B105
settings["api_token"] = "t0k3n"  # expect: B105
password_hint = "ask the admin"  # expect: B105
hint = "password"
passwords = "x"
password = os.environ["PASSWORD"]
password = None
config = {"token": None, "pwd": 1, "user": "token"}
token_count = len("abc")
x = settings["password"]
