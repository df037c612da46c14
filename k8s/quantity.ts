/**
 * Kubernetes resource quantities ("250m", "1", "512Mi", "1Gi", "1e3") parsed to plain numbers,
 * so validation can compare requests with limits and add up what an environment needs.
 */

const SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+]?[0-9]+(?:\.[0-9]+)?|[+]?\.[0-9]+)(?:[eE]([+-]?[0-9]+))?(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** Parses a quantity; returns undefined when the text is not a valid Kubernetes quantity. */
export function parseQuantity(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? text : undefined;
  const match = QUANTITY.exec(text.trim());
  if (!match) return undefined;
  const [, digits, exponent, suffix] = match;
  if (exponent !== undefined && suffix !== undefined) return undefined;
  return Number(digits) * 10 ** Number(exponent ?? 0) * SUFFIXES[suffix ?? ""];
}

/** Formats CPU cores as a quantity in millicores ("1500m"). */
export function formatCpu(cores: number): string {
  return `${Math.ceil(cores * 1000)}m`;
}

/** Formats bytes as a quantity in mebibytes ("768Mi"). */
export function formatMemory(bytes: number): string {
  return `${Math.ceil(bytes / 2 ** 20)}Mi`;
}
