# B608: SQL built from strings (in an execute call: medium confidence)
cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)  # expect: B608(medium/medium)
query = "DELETE FROM users WHERE id = " + user_id  # expect: B608(medium/low)
query = "SELECT id FROM t WHERE a = {}".format(a)  # expect: B608(medium/low)
query = f"UPDATE users SET name = '{name}' WHERE id = 1"  # expect: B608(medium/low)
query = "INSERT INTO t (a) VALUES (" + str(a) + ")"  # expect: B608(medium/low)
cursor.execute("SELECT * FROM users WHERE name = %s", (name,))
query = "SELECT * FROM users"
cursor.execute("SELECT * FROM t WHERE id = {id}".replace("{id}", uid))  # expect: B608(medium/low)
cursor.execute(f"SELECT * FROM t WHERE id = {uid}")  # expect: B608(medium/medium)
cursor.execute("INSERT INTO t VALUES(" + v + ")")  # expect: B608(medium/medium)
query = "SELECT * FROM users " f"WHERE id = {uid}"  # expect: B608(medium/low)
cursor.execute("SELECT * FROM users " f"WHERE id = {uid}")  # expect: B608(medium/medium)
query = "SELECT * FROM users " "WHERE id = 1"
