# B311: the random module's generator
import random
import secrets

token = random.randint(0, 10**6)  # expect: B311
pick = random.choice(items)  # expect: B311
rng = random.Random(42)  # expect: B311
bits = random.getrandbits(64)  # expect: B311
random.shuffle(items)
random.seed(1)
good = secrets.token_urlsafe()
