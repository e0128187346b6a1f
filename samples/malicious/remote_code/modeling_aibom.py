print('aibom-sample')  # runs at import time when trust_remote_code=True
class AibomRemoteModel:
    pass
