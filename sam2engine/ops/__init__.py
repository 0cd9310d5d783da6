"""Pure tensor helpers: hole filling, preprocessing/resizing."""
