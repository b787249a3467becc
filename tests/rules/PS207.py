# PS207: Google API keys
key = "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"  # expect: PS207
short = "AIzaSyA1b2"
