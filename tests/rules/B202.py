# B202: tarfile extraction without member checks
import tarfile

t = tarfile.open(path)
t.extractall(dest)  # expect: B202(high/high)
t.extractall(dest, members=safe_members(t))  # expect: B202(low/low)
t.extractall(dest, members=picked)  # expect: B202(medium/medium)
t.extractall(dest, filter="data")
t.extractall(dest, members=picked, filter="data")
t.extractall(dest, filter="tar")  # expect: B202(high/high)
t.extract(member, dest)
