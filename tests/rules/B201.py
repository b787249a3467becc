# B201: a Flask app run with debug=True
from flask import Flask

app = Flask(__name__)
app.run(debug=True)  # expect: B201
app.run(  # expect: B201
    host="localhost", debug=True)
app.run(debug=False)
app.run()
app.run(debug=config.DEBUG)
app.start(debug=True)
