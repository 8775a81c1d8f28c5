import { describe, expect, it } from '@jest/globals';
import { MetricsService } from './metrics.service.js';

describe(MetricsService.name, () => {
  it('counts each request and its latency in the series of its method, route and status', async () => {
    const metrics = new MetricsService();
    metrics.recordRequest('GET', '/api/v1/users/me', 200, 0.003);
    metrics.recordRequest('GET', '/api/v1/users/me', 200, 0.2);
    metrics.recordRequest('GET', '/api/v1/users/me', 404, 0.004);
    metrics.recordRequest('POST', '/api/v1/activity', 202, 0.02);
    const requests = await metrics.registry.getSingleMetricAsString('http_requests_total');
    expect(requests).toContain(
      'http_requests_total{method="GET",route="/api/v1/users/me",status="200"} 2',
    );
    expect(requests).toContain(
      'http_requests_total{method="GET",route="/api/v1/users/me",status="404"} 1',
    );
    expect(requests).toContain(
      'http_requests_total{method="POST",route="/api/v1/activity",status="202"} 1',
    );
    const latency = await metrics.registry.getSingleMetricAsString('http_request_duration_seconds');
    const series = 'method="GET",route="/api/v1/users/me",status_class="2xx"';
    expect(latency).toContain(`http_request_duration_seconds_bucket{le="0.005",${series}} 1`);
    expect(latency).toContain(`http_request_duration_seconds_bucket{le="0.25",${series}} 2`);
    expect(latency).toContain(`http_request_duration_seconds_count{${series}} 2`);
    expect(latency).toContain(
      'http_request_duration_seconds_count{method="GET",route="/api/v1/users/me",status_class="4xx"} 1',
    );
  });
});
