"""Applications on top of everything else: ``shinsou serve`` (``serve``: a web page to draw
on and watch a classifier read the drawing; ``explain``: the numbers that page shows). Nothing
below imports them."""
