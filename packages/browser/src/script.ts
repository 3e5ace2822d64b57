/**
 * Entry of the `<script>` build: the module's functions on `window.hooklane`.
 *
 * @module
 */
import { bridgeAppcues, createClient, flush, group, identify, init, reset, track, trigger } from './index.ts';

(globalThis as { hooklane?: unknown }).hooklane = {
  init,
  identify,
  group,
  track,
  trigger,
  flush,
  reset,
  bridgeAppcues,
  createClient,
};
