environment = {
  name   = "dev"
  inputs = {
    vpc_cidr = "10.0.0.0/16"
    nat      = true
    azs      = 2
  }
}
