"""Imposition: where each page goes on a press or office sheet (``plan``),
and the PDF that puts it there (``pdf``)."""
