import { render } from 'preact';
import { App } from './app.tsx';
import { isPortal } from './mode.ts';
import { applyBranding, postHeightToParent } from './portal.ts';
import './styles.css';

if (isPortal) {
  applyBranding(new URLSearchParams(location.search));
  postHeightToParent();
}
render(<App />, document.getElementById('app')!);
