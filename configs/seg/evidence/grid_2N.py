# Evidence study, grid_2N: the fixed grid of 10 px patches, 14x14 = 196 ~ 2N tokens. Half the
# area per token on the same image: smaller patches keep the image, the adapter strides and the
# head identical (upsampling the input would feed interpolated pixels and change every other
# layer's resolution); 14 -> 10 px is the nearest integer pair (1.96x).
_base_ = ['./_base_/evidence_segformer.py']
model = dict(backbone=dict(patch_size=10))
