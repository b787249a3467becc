# B324: weak hashes from hashlib, and weak crypt methods
import hashlib
import crypt

hashlib.md5(password).hexdigest()  # expect: B324(high/high)
hashlib.sha1(data)  # expect: B324(high/high)
hashlib.new("md5")  # expect: B324(high/high)
hashlib.new(name="SHA1")  # expect: B324(high/high)
hashlib.md5(data, usedforsecurity=False)
hashlib.new("md5", usedforsecurity=False)
hashlib.sha256(data)
hashlib.new("sha256")
crypt.crypt(word, crypt.METHOD_MD5)  # expect: B324(medium/high)
crypt.mksalt(crypt.METHOD_CRYPT)  # expect: B324(medium/high)
crypt.crypt(word, crypt.METHOD_SHA512)
