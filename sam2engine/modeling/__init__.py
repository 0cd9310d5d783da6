"""Model parts (one module per part); ``sam2.SAM2Model`` composes them."""
