# PS206: Stripe live keys; test keys are not secrets worth a block
live = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"  # expect: PS206
restricted = "rk_live_4eC39HqLyjWDarjtT1zdp7dc"  # expect: PS206
test = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
