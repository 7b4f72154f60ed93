import { display, mimeBundle, registerRichBundler, settleDisplays, type MimeBundle } from '../kernel/display';
import { FigureExporter } from './exporter';
import type { Figure } from './figure';

let exporter: Promise<FigureExporter> | null = null;

function isFigure(value: unknown): value is Figure {
  const v = value as Partial<Figure> | null;
  return Boolean(v && typeof v === 'object' && Array.isArray(v.data) && v.layout && typeof v.layout === 'object');
}

/**
 * A figure's bundle: the plotly JSON object (JupyterLab with jupyterlab-plotly, VS Code), a
 * PNG rendered in headless chromium (every other frontend shows it as an <img>; it is kept
 * once, not again inside HTML) and plain text. Without chromium the PNG is left out, not faked.
 */
export async function figureBundle(figure: Figure): Promise<MimeBundle> {
  const bundle = mimeBundle(figure);
  if (FigureExporter.available()) bundle['image/png'] = (await png(figure)).toString('base64');
  return bundle;
}

/** One browser for the kernel's figures; started again if it went away (its process was killed). */
async function png(figure: Figure): Promise<Buffer> {
  try {
    exporter ??= new FigureExporter().start();
    return await (await exporter).png(figure);
  } catch (e) {
    const old = exporter;
    exporter = null;
    await old?.then((x) => x.stop(), () => {}).catch(() => {});
    exporter = new FigureExporter().start();
    return (await exporter).png(figure);
  }
}

// a figure shown by display / gb.show, or left as a cell's last expression, renders the same way
registerRichBundler((value) => (isFigure(value) ? figureBundle(value) : null));

/** Show a figure in a notebook as one output (see figureBundle); resolves once its PNG is in place. */
export async function showFigure(figure: Figure): Promise<void> {
  display(figure);
  await settleDisplays();
}
