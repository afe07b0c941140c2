"""Pictures of what DART does: token regions, importance maps, predictions (all tasks)."""
from .seg import seg_drawing_visualizer, seg_token_figure
from .tokens import (batch_geometry, concat_panels, draw_importance, draw_token_regions,
                     importance_for_image, layout_matches, token_boxes_for_image, token_panels)

__all__ = ['layout_matches', 'batch_geometry', 'token_boxes_for_image', 'importance_for_image',
           'draw_token_regions', 'draw_importance', 'token_panels', 'concat_panels',
           'seg_drawing_visualizer', 'seg_token_figure']
