# B411: xmlrpc imported
import xmlrpc.client  # expect: B411
from xmlrpc.server import SimpleXMLRPCServer  # expect: B411
import xmlrpclib  # expect: B411
from defusedxml import xmlrpc as safe_xmlrpc
