// The demo page: loads a tower bundle from ./model/, keeps the history in localStorage, and shows
// the top 10 with the watched item behind each. Nothing the person picks leaves the page.
import { loadRecommender, type Recommender } from "@kdrec/serving";

const STORAGE_KEY = "kdrec-demo-history";
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const element = (tag: string, text: string, attributes: Record<string, string> = {}) => {
  const node = document.createElement(tag);
  node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
};

const readHistory = (known: Set<string>): string[] => {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "[]");
    return Array.isArray(stored) ? stored.filter((id): id is string => typeof id === "string" && known.has(id)) : [];
  } catch {
    return [];
  }
};

const start = async () => {
  const loaded = await loadRecommender(new URL("./model/", location.href).href);
  if (loaded._tag === "Left") {
    $("status").textContent = `could not load the model: ${loaded.left.location}: ${loaded.left.message}`;
    return;
  }
  const model: Recommender = loaded.right;
  const { ids, titles, popularity } = model.catalogue;
  const title = (id: string) => titles?.[ids.indexOf(id)] ?? `item ${id}`;
  const byPopularity = ids.map((id, i) => ({ id, title: titles?.[i] ?? `item ${id}`, count: popularity[i]! }));
  byPopularity.sort((a, b) => b.count - a.count);
  let history = readHistory(new Set(ids));
  $("status").textContent =
    `${model.name}: ${model.items.toLocaleString("en-US")} items, ${model.info.parameters.toLocaleString("en-US")} parameters, trained on ${model.info.data.name}`;

  const save = () => localStorage.setItem(STORAGE_KEY, JSON.stringify(history));

  const renderCatalogue = () => {
    const query = ($("search") as HTMLInputElement).value.trim().toLowerCase();
    const list = $("catalogue");
    list.replaceChildren(
      ...byPopularity
        .filter((item) => !history.includes(item.id) && (query === "" || item.title.toLowerCase().includes(query)))
        .slice(0, 60)
        .map((item) => {
          const li = document.createElement("li");
          const button = element("button", item.title, { type: "button", "data-item": item.id });
          button.addEventListener("click", () => {
            history = [...history, item.id];
            save();
            render();
          });
          li.append(button);
          return li;
        }),
    );
  };

  const renderHistory = () =>
    $("history").replaceChildren(
      ...history.map((id) => {
        const li = element("li", `${title(id)} `, { "data-item": id });
        const remove = element("button", "×", { type: "button", "aria-label": `remove ${title(id)}` });
        remove.addEventListener("click", () => {
          history = history.filter((h) => h !== id);
          save();
          render();
        });
        li.append(remove);
        return li;
      }),
    );

  const renderRecommendations = () => {
    const repeats = 20;
    const started = performance.now();
    let answer = model.recommend({ history, k: 10 });
    for (let r = 1; r < repeats; r++) answer = model.recommend({ history, k: 10 });
    const perRequest = (performance.now() - started) / repeats;
    if (answer._tag === "Left") {
      $("recommendations").replaceChildren(element("li", answer.left.message));
      return;
    }
    const items = answer.right.items;
    const why = history.length === 0 ? undefined : model.explain(history, { items: items.map((r) => r.item) });
    const reasons = why === undefined || why._tag === "Left" ? [] : why.right.reasons;
    $("recommendations").replaceChildren(
      ...items.map((r, k) => {
        const li = element("li", r.title ?? `item ${r.item}`, { "data-item": r.item });
        const because = reasons[k]?.because;
        const reason =
          because !== undefined
            ? `because you watched ${because.title ?? `item ${because.item}`}`
            : answer.right.source === "popularity"
              ? "popular with everyone"
              : "";
        li.append(" ", element("span", reason, { class: "reason" }));
        return li;
      }),
    );
    $("timing").textContent = `top 10 computed in this page in ${perRequest.toFixed(3)} ms (mean of ${repeats})`;
    $("timing").dataset.ms = String(perRequest);
  };

  const render = () => {
    renderCatalogue();
    renderHistory();
    renderRecommendations();
  };
  $("search").addEventListener("input", renderCatalogue);
  $("clear").addEventListener("click", () => {
    history = [];
    save();
    render();
  });
  render();
  document.body.dataset.ready = "true";
};

void start();
