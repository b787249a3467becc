# PS208: random-looking values assigned to secret-like names
DB_PASSWORD = "q8Zr2LwX9vPm4Tn7"  # expect: B105, PS208
config = {"client_secret": "Zq9XvB7nM2pL4kR8tY6w"}  # expect: B105, PS208
api_key: str = "f3K9s0dPq8ZxW2mN7vB4"  # expect: PS208
API_TOKEN = "your_token_here_please"  # expect: B105
password = "correct_horse_battery"  # expect: B105
password = "changeme_changeme"  # expect: B105
token = "${DEPLOY_TOKEN_FROM_ENV}"  # expect: B105
secret = os.environ["APP_SECRET"]
