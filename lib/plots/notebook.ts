import { display, mimeBundle } from '../kernel/display';
import { FigureExporter } from './exporter';
import type { Figure } from './figure';

let exporter: Promise<FigureExporter> | null = null;

/**
 * Show a figure in a notebook as ONE output: the plotly JSON object (JupyterLab with
 * jupyterlab-plotly, VS Code), a PNG rendered in headless chromium and an <img> for static
 * viewers and CI logs, and plain text. Without chromium the PNG is left out, not faked.
 */
export async function showFigure(figure: Figure): Promise<void> {
  const bundle = mimeBundle(figure);
  if (FigureExporter.available()) {
    exporter ??= new FigureExporter().start();
    const png = (await (await exporter).png(figure)).toString('base64');
    bundle['image/png'] = png;
    bundle['text/html'] = `<img src="data:image/png;base64,${png}" alt="${String(bundle['text/plain']).replace(/"/g, '')}"/>`;
  }
  display({ toMimeBundle: () => bundle });
}
