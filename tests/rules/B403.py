# B403: pickle-like modules imported (module boundaries: pickletools is not pickle)
import pickle  # expect: B403
import cPickle  # expect: B403
from dill import loads  # expect: B403
import shelve  # expect: B403
import pickle, shelve  # expect: B403
import pickletools
import copyreg
copyreg.pickle(complex, reduce_complex)
