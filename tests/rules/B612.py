# B612: logging.config.listen without verify
import logging.config

t = logging.config.listen(9999)  # expect: B612
t = logging.config.listen(9999, verify=check_signature)
logging.config.dictConfig(conf)
