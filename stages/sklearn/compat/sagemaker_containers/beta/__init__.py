"""``sagemaker_containers.beta``: only ``framework`` lives here."""
