import { type Comm, type CommManager, comms } from './comms';
import { display } from './display';

/**
 * Jupyter widgets over comms, speaking the protocol of the widget JavaScript Debian ships
 * for the classic notebook (jupyter-js-widgets ~2.1, ipywidgets 6): a model is a comm on
 * target `jupyter.widget` whose open carries the whole state; `update` messages change it;
 * `display` shows a view in the cell's output area; a button's click comes back as a
 * `custom` message. Only the few models gatebook's own widgets need are here.
 */
export const WIDGET_VERSION = '~2.1.4';
const MODULE = { _model_module: 'jupyter-js-widgets', _model_module_version: WIDGET_VERSION, _view_module: 'jupyter-js-widgets', _view_module_version: WIDGET_VERSION };

let frontendVersion: string | null = null;

/**
 * Answer the frontend's version check (it opens `jupyter.widget.version` when its widget
 * JavaScript loads): from then on widgets can be shown; without it (nbconvert, a headless
 * run, a frontend without the extension) gatebook shows plain outputs instead.
 */
export function registerWidgetTargets(manager: CommManager): void {
  manager.registerTarget('jupyter.widget.version', (comm) => {
    comm.onMessage((m) => {
      if (m.data.validated) frontendVersion = String(m.data.frontend_version ?? 'validated');
    });
    comm.send({ version: WIDGET_VERSION });
  });
}

/** True once a frontend with the widget JavaScript has said hello. */
export function widgetsAvailable(): boolean {
  return frontendVersion !== null && comms() !== null;
}

export class Widget {
  readonly comm: Comm;
  private readonly state: Record<string, unknown>;

  constructor(manager: CommManager, model: string, view: string, state: Record<string, unknown>, style?: string) {
    const layout = manager.open('jupyter.widget', { ...MODULE, _model_name: 'LayoutModel', _view_name: 'LayoutView', msg_throttle: 1 });
    const styles = style ? { style: `IPY_MODEL_${manager.open('jupyter.widget', { ...MODULE, _model_name: style, _view_name: 'StyleView', msg_throttle: 1 }).id}` } : {};
    this.state = { ...MODULE, _model_name: model, _view_name: view, _dom_classes: [], msg_throttle: 1, layout: `IPY_MODEL_${layout.id}`, ...styles, ...state };
    this.comm = manager.open('jupyter.widget', this.state);
    this.comm.onMessage((m) => {
      if (m.data.method === 'backbone') Object.assign(this.state, m.data.sync_data as Record<string, unknown>);
      if (m.data.method === 'request_state') this.comm.send({ method: 'update', state: this.state });
    });
  }

  get id(): string {
    return this.comm.id;
  }

  get(key: string): unknown {
    return this.state[key];
  }

  set(values: Record<string, unknown>): void {
    Object.assign(this.state, values);
    this.comm.send({ method: 'update', state: values });
  }

  /** A custom message from the view (a button's `{ event: 'click' }`). */
  onCustom(listener: (content: Record<string, unknown>) => void): void {
    this.comm.onMessage((m) => {
      if (m.data.method === 'custom') listener((m.data.content ?? {}) as Record<string, unknown>);
    });
  }

  /** Show a view of it in the running cell's output. */
  show(): void {
    this.comm.send({ method: 'display' });
    // as ipywidgets 6: the display message shows it; the output only names the model (no text, which the classic notebook would print under it)
    display({ toMimeBundle: () => ({ 'application/vnd.jupyter.widget-view+json': { model_id: this.id } }) });
  }
}

export const progressBar = (m: CommManager, state: { value?: number; max?: number; description?: string; bar_style?: string } = {}) =>
  new Widget(m, 'ProgressModel', 'ProgressView', { value: 0, min: 0, max: 100, step: 1, orientation: 'horizontal', bar_style: '', description: '', disabled: false, ...state }, 'ProgressStyleModel');
export const html = (m: CommManager, value = '') => new Widget(m, 'HTMLModel', 'HTMLView', { value, description: '', disabled: false, placeholder: '\u200b' });
export const button = (m: CommManager, description: string, button_style = '') =>
  new Widget(m, 'ButtonModel', 'ButtonView', { description, button_style, disabled: false, icon: '', tooltip: '' }, 'ButtonStyleModel');
export const vbox = (m: CommManager, children: Widget[]) => new Widget(m, 'VBoxModel', 'VBoxView', { children: children.map((c) => `IPY_MODEL_${c.id}`), box_style: '' });
export const hbox = (m: CommManager, children: Widget[]) => new Widget(m, 'HBoxModel', 'HBoxView', { children: children.map((c) => `IPY_MODEL_${c.id}`), box_style: '' });
