# B112: try, except, continue
for item in items:
    try:
        work(item)
    except:  # expect: B112
        continue
    try:
        work(item)
    except Exception as e:  # expect: B112
        continue
    try:
        work(item)
    except KeyError:
        continue
    try:
        work(item)
    except Exception:
        log(item)
        continue
