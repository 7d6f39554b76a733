/**
 * Inferences Triton has completed for every model (`nv_inference_count` summed over its metrics),
 * read before and after a run: CPU per inference is then CPU ÷ inferences actually served over the
 * same interval, whatever perf_analyzer's windows, warm-up or ramp-down were.
 */
export async function tritonInferenceCount(metricsUrl: string): Promise<number> {
  const response = await fetch(metricsUrl);
  if (!response.ok) throw new Error(`Triton metrics answered ${response.status}`);
  let total = 0;
  for (const line of (await response.text()).split('\n')) {
    if (!line.startsWith('nv_inference_count{')) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
