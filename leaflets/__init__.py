"""leaflets: one data file to a print-ready 『민원24』 poster and pocket leaflet.

Public API:

- :func:`leaflets.content.load_content` reads and validates ``minwon24.toml``;
- :class:`leaflets.render.Renderer` turns content into PDF documents;
- :func:`leaflets.build.build` writes every artifact and ``manifest.json``
  into an output folder, atomically.
"""

__version__ = "0.1.0"
