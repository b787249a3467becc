# B412: CGI handlers (httpoxy)
from wsgiref.handlers import CGIHandler  # expect: B412
from twisted.web.twcgi import CGIScript  # expect: B412
from wsgiref.handlers import SimpleHandler
import wsgiref.handlers
