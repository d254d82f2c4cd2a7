async def test_healthz_answers_ok_when_the_database_answers(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_openapi_document_lists_the_contract_routes(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/hubs",
        "/api/v1/resources",
        "/api/v1/associations/{association_id}/members",
    ):
        assert path in paths
