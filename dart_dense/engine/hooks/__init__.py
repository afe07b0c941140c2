"""Visualization hooks, one module per toolbox (import the one your config needs):

- :mod:`.token_visualization_hook`: ``TokenVisualizationHook`` (mmseg's
  ``SegVisualizationHook`` with the token partition drawn in);
- :mod:`.det_token_visualization_hook`: ``DetTokenVisualizationHook`` (mmdet's
  ``DetVisualizationHook`` with the token partition drawn in);
- :mod:`.base_token_visualization_hook`: what both share (token options, recording the
  geometry during val/test, drawing and saving).

Nothing is imported here, so a segmentation install needs no mmdet and vice versa.
"""
