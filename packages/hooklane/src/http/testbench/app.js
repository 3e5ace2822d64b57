// The testbench page: each interaction sends, through the Hooklane SDK and the publishable key
// in the page's URL (?account=acc_...&key=hlp_...), the catalog event it stands for, shaped
// like the catalog's sample (window.HOOKLANE_SAMPLES, served by /testbench/samples.js).
(() => {
  const params = new URLSearchParams(location.search);
  const account = params.get('account');
  const key = params.get('key');
  const url = params.get('url') || location.origin;
  const setup = document.getElementById('setup');
  const log = document.getElementById('log');
  const samples = window.HOOKLANE_SAMPLES || {};
  const sessionId = Date.now();

  const note = (text) => {
    const item = document.createElement('li');
    item.textContent = text;
    log.prepend(item);
  };

  if (!account || !key) {
    setup.textContent =
      'Open this page as /testbench?account=acc_...&key=hlp_... with a publishable key whose origins list this page.';
    return;
  }
  setup.textContent = `Sending to ${url} as account ${account}.`;
  hooklane.init({
    url,
    account,
    key,
    onDrop: (events, status) => note(`refused (${status}): ${events.map((e) => e.name).join(', ')}`),
  });
  if (params.get('user')) hooklane.identify(params.get('user'));

  /** The attributes of a catalog type's sample, with this page's session and the overrides. */
  const attributesOf = (type, overrides) => ({
    ...structuredClone(samples[type]?.attributes || {}),
    ...('sessionId' in (samples[type]?.attributes || {}) ? { sessionId } : {}),
    ...overrides,
  });
  const send = (type, overrides = {}) => {
    const name = samples[type]?.name || type;
    hooklane.track(name, attributesOf(type, overrides));
    note(`${name} (${type})`);
  };

  // The banner: seen when the page opens, closed with its ×.
  send('banner_seen');
  document.getElementById('banner-close').addEventListener('click', () => {
    document.getElementById('banner').hidden = true;
    send('banner_closed');
  });

  // The modal flow: a Next button, then a form with a required field; Skip on either step.
  const dialog = document.getElementById('flow');
  const steps = dialog.querySelectorAll('[data-step]');
  const showStep = (n) => {
    for (const step of steps) step.hidden = step.dataset.step !== String(n);
  };
  const flowStep = (n) => {
    const base = samples.flow_button_clicked?.attributes || {};
    return {
      stepNumber: n,
      stepChildNumber: 0,
      stepId: base.stepId,
      stepChildId: base.stepChildId,
      stepType: 'modal',
    };
  };
  document.getElementById('flow-start').addEventListener('click', () => {
    showStep(1);
    dialog.showModal();
    send('flow_started');
  });
  document.getElementById('flow-next').addEventListener('click', () => {
    send('flow_button_clicked', {
      ...flowStep(0),
      interaction: { category: 'internal', destination: 'next-step', text: 'Next' },
      context: { url: location.href },
    });
    showStep(2);
  });
  const skip = (n) => () => {
    dialog.close();
    send('flow_skipped', { stepNumber: n, stepId: flowStep(n).stepId });
  };
  document.getElementById('flow-skip').addEventListener('click', skip(0));
  document.getElementById('flow-skip-2').addEventListener('click', skip(1));
  document.getElementById('flow-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('flow-role');
    const error = document.getElementById('flow-error');
    if (!input.value.trim()) {
      error.hidden = false;
      return;
    }
    error.hidden = true;
    const field = samples.flow_form_submitted?.attributes?.interaction?.response?.[0] || {};
    send('flow_form_submitted', {
      ...flowStep(1),
      interaction: {
        category: 'form',
        formId: null,
        response: [
          { ...field, fieldRequired: true, label: "What's your role at the company?", value: input.value },
        ],
      },
    });
    dialog.close();
    send('flow_completed');
  });

  // The NPS survey: a score, then the feedback.
  const scores = document.getElementById('nps-scores');
  for (let score = 0; score <= 10; score++) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'nps-score';
    button.dataset.score = String(score);
    button.textContent = String(score);
    button.addEventListener('click', () => {
      send('nps_score', { score });
      document.getElementById('nps-feedback-box').hidden = false;
    });
    scores.append(button);
  }
  document.getElementById('nps-send').addEventListener('click', () => {
    send('nps_feedback', { feedback: document.getElementById('nps-feedback').value });
    document.getElementById('nps-feedback-box').hidden = true;
  });

  // The checklist: each item once; all of them complete the checklist.
  const checklist = document.getElementById('checklist');
  const items = ['Complete tutorial', 'Connect a data source', 'Invite a teammate'];
  const done = new Set();
  send('checklist_shown');
  items.forEach((label, itemIndex) => {
    const item = document.createElement('li');
    item.innerHTML = `<label><input type="checkbox" class="checklist-item"> ${label}</label>`;
    item.querySelector('input').addEventListener('change', (event) => {
      if (!event.target.checked || done.has(itemIndex)) return;
      done.add(itemIndex);
      event.target.disabled = true;
      send('checklist_item_completed', {
        itemIndex,
        itemLabel: label,
        itemId: `${samples.checklist_item_completed?.attributes?.itemId?.slice(0, 24) || 'item-'}${String(itemIndex).padStart(12, '0')}`,
      });
      if (done.size === items.length) send('checklist_completed');
    });
    checklist.append(item);
  });

  // The pin.
  document.getElementById('pin').addEventListener('click', () => send('pin_interacted'));

  // The tour: its last step completes it and runs the server-side trigger.
  const tour = document.getElementById('tour');
  const tourSteps = tour.querySelectorAll('[data-step]');
  const showTourStep = (n) => {
    for (const step of tourSteps) step.hidden = step.dataset.step !== String(n);
  };
  document.getElementById('tour-start').addEventListener('click', () => {
    tour.hidden = false;
    showTourStep(1);
  });
  document.getElementById('tour-next').addEventListener('click', () => showTourStep(2));
  document.getElementById('tour-finish').addEventListener('click', async () => {
    const role = document.getElementById('tour-role').value;
    tour.hidden = true;
    send('tour_completed');
    note('trigger onboarding_finished…');
    const status = await hooklane.trigger('onboarding_finished', {
      role,
      tour: samples.tour_completed?.attributes?.tourName || 'Welcome tour',
      screen: `${screen.width}x${screen.height}`,
    });
    note(`trigger onboarding_finished: ${status}`);
    document.body.dataset.trigger = String(status);
  });
})();
