// A dashboard strategy: Settings → Dashboards → Add dashboard → "Energy Correlator" builds the
// integration's dashboard from Home Assistant's built-in cards, finding the entities itself (no
// entity ids to type): current power, energy today, peak power, correlations found, exported
// energy where a net meter exports; the top consumers with learned W, kWh/month and cost/month;
// the recent power changes (a logbook card); every learned device's power and its energy per
// day. Regenerated on each load, so devices learned later appear by themselves.
const DOMAIN = "energy_correlator";
const SERVICE_KEYS = [
  "untracked_power",
  "daily_energy",
  "peak_power",
  "standby_baseline",
  "correlations_found",
  "last_correlation",
  "top_consumer",
  "cost_month",
  "exported_energy",
];
const DEVICE_KEYS = ["learned_power", "estimated_power", "estimated_energy"];

// Texts in the user's language, the way the frontend translates any integration: its
// translations/<language>.json loaded with hass.loadBackendTranslation. The tiles are named by the
// sensors' own names ("entity"); headings, table columns and hints are the dashboard's ("common",
// keys starting with "dashboard_"). A language without a key falls back to English on the server.
async function translator(hass) {
  let localize = hass.localize;
  if (hass.loadBackendTranslation) {
    await hass.loadBackendTranslation("entity", DOMAIN);
    localize = await hass.loadBackendTranslation("common", DOMAIN); // has both categories
  }
  const text = (path) => localize(`component.${DOMAIN}.${path}`) || path;
  return {
    common: (key) => text(`common.dashboard_${key}`),
    sensor: (key) => text(`entity.sensor.${key}.name`),
  };
}

// The description key of one of our entities: its translation key (per-device entities without a
// device of their own use "<key>_named"), else the end of its entity id.
function keyOf(entry) {
  const key = (entry.translation_key || "").replace(/_named$/, "");
  if (key) return key;
  return [...SERVICE_KEYS, ...DEVICE_KEYS].find((k) => entry.entity_id.endsWith(`_${k}`));
}

function topConsumersMarkdown(t, entityId) {
  const columns = [
    t.common("column_device"),
    t.common("column_learned"),
    t.common("column_kwh_month"),
    t.common("column_cost_month"),
  ];
  return [
    `{% set rows = state_attr('${entityId}', 'top_consumers') or [] %}`,
    "{% if rows %}",
    `| ${columns.join(" | ")} |`,
    "|:--|--:|--:|--:|",
    "{% for r in rows %}| {{ state_attr(r.entity_id, 'friendly_name') or r.entity_id }} | " +
      "{{ r.learned_power_w | round(0) | int }} W | " +
      "{{ r.kwh_per_month | round(1) if r.kwh_per_month is not none else '-' }} | " +
      "{{ '%.2f' | format(r.cost_per_month) if r.cost_per_month is not none else '-' }} |",
    "{% endfor %}",
    `{% else %}${t.common("nothing_learned")}{% endif %}`,
  ].join("\n");
}

function serviceView(hass, t, service, devices) {
  const tiles = [];
  const meter = service.untracked_power
    ? hass.states[service.untracked_power]?.attributes?.meter_entity_id
    : undefined;
  if (meter && hass.states[meter]) {
    tiles.push({ type: "tile", entity: meter, name: t.common("current_power") });
  }
  // Short names: a tile has room for "Energy today", not "Home power Energy today". Each is the
  // sensor's own translated name, except the cost's ("Estimated cost this month" is too long).
  const names = {
    daily_energy: t.sensor("daily_energy"),
    peak_power: t.sensor("peak_power"),
    correlations_found: t.sensor("correlations_found"),
    untracked_power: t.sensor("untracked_power"),
    cost_month: t.common("cost_month"),
    exported_energy: t.sensor("exported_energy"), // only where enabled (a net meter with export)
  };
  for (const [key, name] of Object.entries(names)) {
    if (service[key]) tiles.push({ type: "tile", entity: service[key], name });
  }
  const cards = [{ type: "grid", columns: 2, square: false, cards: tiles }];
  if (service.top_consumer) {
    cards.push({
      type: "markdown",
      title: t.common("top_consumers"),
      content: topConsumersMarkdown(t, service.top_consumer),
    });
  }
  // The logbook shows our events only when one of its entities is ours (a sensor without a unit).
  const sources = new Set();
  for (const id of devices.learned_power) {
    const source = hass.states[id]?.attributes?.source_entity_id;
    if (source && hass.states[source]) sources.add(source);
  }
  const last = service.last_correlation && hass.states[service.last_correlation]?.attributes?.entity_id;
  if (last && hass.states[last]) sources.add(last);
  if (service.top_consumer) {
    cards.push({
      type: "logbook",
      title: t.common("recent_changes"),
      hours_to_show: 24,
      target: { entity_id: [service.top_consumer, ...sources] },
    });
  }
  if (devices.learned_power.length) {
    cards.push({
      type: "entities",
      title: t.common("learned_devices"),
      state_color: true,
      entities: devices.learned_power.map((entity) => ({ entity })),
    });
    cards.push({
      type: "statistics-graph",
      title: t.common("energy_per_device"),
      entities: devices.estimated_energy,
      stat_types: ["change"],
      chart_type: "bar",
      period: "day",
      days_to_show: 7,
    });
  }
  const graph = [meter, service.untracked_power].filter((id) => id && hass.states[id]);
  if (graph.length) cards.push({ type: "history-graph", title: t.common("power"), hours_to_show: 24, entities: graph });
  return { title: service.title, path: service.path, icon: "mdi:home-lightning-bolt", cards };
}

class EnergyCorrelatorDashboardStrategy extends HTMLElement {
  static async generate(config, hass) {
    const t = await translator(hass);
    const ours = Object.values(hass.entities).filter(
      (entry) => entry.platform === DOMAIN && hass.states[entry.entity_id],
    );
    const services = new Map();
    const devices = Object.fromEntries(DEVICE_KEYS.map((key) => [key, []]));
    for (const entry of ours) {
      const key = keyOf(entry);
      if (DEVICE_KEYS.includes(key)) {
        devices[key].push(entry.entity_id);
      } else if (SERVICE_KEYS.includes(key)) {
        const id = entry.device_id || "none";
        if (!services.has(id)) {
          const device = hass.devices?.[entry.device_id];
          services.set(id, { title: device?.name_by_user || device?.name || t.common("view"), path: `entry-${services.size}` });
        }
        services.get(id)[key] = entry.entity_id;
      }
    }
    for (const list of Object.values(devices)) list.sort();
    const views = [...services.values()].map((service) => serviceView(hass, t, service, devices));
    if (!views.length) {
      views.push({
        title: "Energy Correlator",
        cards: [{ type: "markdown", content: t.common("no_entry") }],
      });
    }
    return { title: "Energy Correlator", views };
  }
}

// The frontend's app bundle, imported side by side with this module, replaces
// window.customElements with a scoped registry when it starts. When this small module runs first
// (a browser's first visit, nothing cached), its element stays in the replaced registry and the
// dashboard waits for it in vain ("Timeout waiting for strategy element"): once the registry is
// swapped, define the element again in the one in use.
const TAG = "ll-strategy-dashboard-energy-correlator";
const defineIn = (registry) => {
  if (!registry.get(TAG)) registry.define(TAG, class extends EnergyCorrelatorDashboardStrategy {});
};
const firstRegistry = window.customElements;
defineIn(firstRegistry);
const watchUntil = Date.now() + 60_000;
const watch = setInterval(() => {
  if (window.customElements !== firstRegistry) defineIn(window.customElements);
  if (window.customElements !== firstRegistry || Date.now() > watchUntil) clearInterval(watch);
}, 25);
window.customStrategies = window.customStrategies || [];
window.customStrategies.push({
  type: "energy-correlator",
  strategyType: "dashboard",
  name: "Energy Correlator",
  // Read by the "Add dashboard" dialog each time it renders: in the user's language once the
  // integration's texts are loaded (asked for here; the dialog renders again when they arrive).
  get description() {
    const hass = document.querySelector("home-assistant")?.hass;
    const text = hass?.localize(`component.${DOMAIN}.common.dashboard_description`);
    if (!text) hass?.loadBackendTranslation?.("common", DOMAIN);
    return text || "";
  },
});
