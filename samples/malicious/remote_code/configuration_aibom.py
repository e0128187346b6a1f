class AibomConfig:
    model_type = 'aibom-remote'
