# B307: eval
import ast

eval(user_input)  # expect: B307
value = eval(  # expect: B307
    "1 + 1")
ast.literal_eval(user_input)
model.eval()
