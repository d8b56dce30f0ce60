/** React Query hooks bound to the signed-in session's API client. */
import { type UseQueryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../auth/session';
import type { Query } from './client';

/** GET `path` with `query`; refetched every `refetchMs` when given. */
export function useApiGet<T>(
  path: string | undefined,
  query?: Query,
  options: { refetchMs?: number } & Pick<UseQueryOptions<T>, 'enabled'> = {},
) {
  const { api, key } = useSession();
  return useQuery<T>({
    queryKey: [key.id, path, query],
    queryFn: () => api.get<T>(path!, query),
    enabled: path !== undefined && (options.enabled ?? true),
    ...(options.refetchMs ? { refetchInterval: options.refetchMs } : {}),
  });
}

/** POST `path(vars)` with `body(vars)`; on success, refetches every query under the key's id. */
export function useApiPost<V, T = unknown>(
  path: (vars: V) => string,
  body: (vars: V) => unknown = () => ({}),
) {
  const { api, key } = useSession();
  const client = useQueryClient();
  return useMutation<T, Error, V>({
    mutationFn: (vars) => api.post<T>(path(vars), body(vars)),
    onSuccess: () => client.invalidateQueries({ queryKey: [key.id] }),
  });
}
