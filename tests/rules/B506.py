# B506: yaml.load without a safe loader
import yaml

yaml.load(stream)  # expect: B506
yaml.load(stream, Loader=yaml.Loader)  # expect: B506
yaml.load(stream, Loader=yaml.SafeLoader)
yaml.load(stream, yaml.CSafeLoader)
yaml.safe_load(stream)
