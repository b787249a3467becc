# B102: exec
import builtins

exec("print(1)")  # expect: B102
exec(  # expect: B102
    code,
)
builtins.exec(code)
obj.exec(code)
execute(code)
