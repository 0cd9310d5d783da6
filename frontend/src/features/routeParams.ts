/** A numeric id from the URL, or null when the segment is not one (the page then says "not found"). */
export function parseId(value: string | undefined): number | null {
  if (value === undefined || !/^[1-9]\d{0,15}$/.test(value)) return null;
  return Number(value);
}
