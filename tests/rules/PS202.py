# PS202: AWS access key ids; the documentation's example is not one
key_id = "AKIAQ3EGTBAWSDKZ7XYZ"  # expect: PS202
session = "ASIAQ3EGTBAWSDKZ7XYZ"  # expect: PS202
docs = "AKIAIOSFODNN7EXAMPLE"
too_short = "AKIAQ3EGTBAW"
lower = "akiaq3egtbawsdkz7xyz"
